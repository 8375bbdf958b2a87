// Exact bytes over one connection, for tests of HTTP framing that a client library would refuse
// to send (bad lengths, pipelining, bytes that are not UTF-8).
//
//   const r = await exchange(() => net.connect(port, '127.0.0.1'), bytes, 1000);
//   r.text      everything received (latin1), r.closed  whether the server closed,
//   r.statuses  the status of every response in r.text, r.json  the first body as JSON or undefined
//
// The answer is collected until the server closes or `waitMs` pass without new bytes.

/**
 * Sends `bytes` (a Buffer, or a string taken as latin1) on the socket `connect()` opens; with
 * `end`, then ends the sending side (the server reads EOF after the bytes).
 */
export function exchange(connect, bytes, waitMs = 1000, { end = false } = {}) {
  return new Promise((resolve) => {
    const chunks = [];
    let closed = false;
    let timer;
    const sock = connect();
    sock.once(sock.encrypted === undefined ? 'connect' : 'secureConnect', () => {
      sock.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
      if (end) sock.end();
    });
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = (text.match(/HTTP\/1\.1 \d{3} /g) || []).map((s) => Number(s.slice(9)));
      let json;
      try {
        json = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
      } catch {
        json = undefined;
      }
      resolve({ text, closed, statuses, json });
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(done, waitMs);
    };
    sock.on('data', (d) => {
      chunks.push(d);
      arm();
    });
    sock.on('end', () => {
      closed = true;
      done();
    });
    sock.on('error', () => done());
    arm();
  });
}
