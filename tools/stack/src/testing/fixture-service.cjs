// A stand-in service: announces itself like the real ones, lives until SIGTERM.
const keepAlive = setInterval(() => {}, 1000);
process.on('SIGTERM', () => {
  clearInterval(keepAlive);
  process.exit(0);
});
process.stdout.write(JSON.stringify({ event: 'listening', address: '127.0.0.1:1' }) + '\n');
