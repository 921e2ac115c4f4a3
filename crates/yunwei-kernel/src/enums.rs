//! Closed sets of values that travel as snake_case text (statuses, roles, kinds, …).

/// Declares an enum with its wire names: `as_str`, `parse` (naming the field and the accepted
/// values when the text is none of them), `ALL`, `Display` and serde in snake_case.
#[macro_export]
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the wire name, naming `field` and the accepted values when it is wrong.
            pub fn parse(field: &str, text: &str) -> Result<Self, $crate::DomainError> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err($crate::DomainError::invalid(field, "not_one_of")
                        .with("value", other)
                        .with("expected", [$($text),+].join(", "))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
