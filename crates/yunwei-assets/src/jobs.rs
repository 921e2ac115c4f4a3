//! The module's background work: at start-up, queue today's reminder run (`store::reminders`);
//! the job queue runs it on one instance and each run queues the next day's.

use tokio::sync::watch;
use tokio::task::JoinHandle;
use yunwei_web::AppState;

use crate::store::reminders;

pub fn spawn(state: &AppState, _stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let store = state.store.clone();
    vec![tokio::spawn(async move {
        if let Err(e) = reminders::ensure_scheduled(&store).await {
            tracing::warn!(error = %e, "could not queue the asset reminders; they run at the next start");
        }
    })]
}
