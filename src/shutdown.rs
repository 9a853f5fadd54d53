//! Shutdown as a value: a receiver that says whether the process was asked to stop, handed
//! to the daemon loop and the HTTP server alike. It knows nothing of signals: whoever decides
//! to stop holds the trigger.

use tokio::sync::watch;

/// Handed to every loop that must stop on SIGTERM or SIGINT.
#[derive(Clone)]
pub struct Shutdown {
    receiver: watch::Receiver<bool>,
}

/// Held by whoever decides to stop.
pub struct ShutdownTrigger {
    sender: watch::Sender<bool>,
}

pub fn channel() -> (ShutdownTrigger, Shutdown) {
    let (sender, receiver) = watch::channel(false);
    (ShutdownTrigger { sender }, Shutdown { receiver })
}

impl ShutdownTrigger {
    pub fn trigger(&self) {
        self.sender.send_replace(true);
    }
}

impl Shutdown {
    pub fn is_shutdown(&self) -> bool {
        *self.receiver.borrow()
    }

    /// Resolves once shutdown is asked for.
    pub async fn recv(&mut self) {
        // An error means the trigger is gone, which also means stop.
        let _ = self.receiver.wait_for(|stop| *stop).await;
    }
}
