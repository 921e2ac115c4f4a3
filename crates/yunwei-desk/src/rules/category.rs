//! The default category tree seeded on a new installation (editable afterwards).

/// A default category: code, Chinese name, English name, and its children.
pub struct DefaultCategory {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub children: &'static [(&'static str, &'static str, &'static str)],
}

pub const DEFAULT_TREE: &[DefaultCategory] = &[
    DefaultCategory {
        code: "HW",
        name_zh: "硬件",
        name_en: "Hardware",
        children: &[
            ("HW-PC", "台式机/笔记本", "Desktop / laptop"),
            ("HW-PRN", "打印机", "Printer"),
            ("HW-SRV", "服务器", "Server"),
            ("HW-STO", "存储设备", "Storage"),
            ("HW-PER", "外设", "Peripherals"),
        ],
    },
    DefaultCategory {
        code: "SW",
        name_zh: "软件",
        name_en: "Software",
        children: &[
            ("SW-OS", "操作系统", "Operating system"),
            ("SW-OFF", "办公软件", "Office software"),
            ("SW-APP", "业务系统", "Business application"),
            ("SW-AV", "防病毒", "Antivirus"),
        ],
    },
    DefaultCategory {
        code: "NET",
        name_zh: "网络",
        name_en: "Network",
        children: &[
            ("NET-LAN", "网络连接", "Wired connection"),
            ("NET-WIFI", "无线网络", "Wi-Fi"),
            ("NET-VPN", "VPN", "VPN"),
            ("NET-MAIL", "邮件", "E-mail"),
        ],
    },
    DefaultCategory {
        code: "HUM",
        name_zh: "人为",
        name_en: "Human error",
        children: &[
            ("HUM-OP", "误操作", "Operating mistake"),
            ("HUM-CFG", "配置错误", "Configuration error"),
            ("HUM-ACC", "账号密码", "Account and password"),
        ],
    },
    DefaultCategory {
        code: "SYS",
        name_zh: "系统",
        name_en: "System",
        children: &[
            ("SYS-CRASH", "系统崩溃", "System crash"),
            ("SYS-PERF", "性能问题", "Performance"),
            ("SYS-DB", "数据库", "Database"),
            ("SYS-MW", "中间件", "Middleware"),
        ],
    },
    DefaultCategory {
        code: "SR",
        name_zh: "服务请求",
        name_en: "Service request",
        children: &[
            ("SR-ACC", "开通账号", "New account"),
            ("SR-SW", "安装软件", "Software installation"),
            ("SR-EQ", "设备申领", "Equipment request"),
            ("SR-MOVE", "搬迁调整", "Move or change"),
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn default_codes_are_unique_and_valid() {
        let mut seen = HashSet::new();
        for top in DEFAULT_TREE {
            assert!(seen.insert(top.code));
            yunwei_kernel::validate::code("code", top.code).unwrap();
            for (code, zh, en) in top.children {
                assert!(seen.insert(code), "{code} twice");
                assert!(code.starts_with(top.code));
                assert!(!zh.is_empty() && !en.is_empty());
            }
        }
        assert!(seen.len() > 20);
    }
}
