// Preloaded into every service the local stack starts: when the launcher's IPC channel closes
// (the launcher exited, even by SIGKILL), the service drains and exits instead of living on as an orphan.
if (process.connected) {
  process.channel?.unref(); // the channel must not keep the service alive on its own
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
