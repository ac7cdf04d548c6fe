// Peer for the RPC benchmark: a bare header-delimited JSON-RPC echo in Node (no framework, no dispatch).
// It answers every request with {result: params or {}} so the client can time the transport floor.
let buf = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  buf = Buffer.concat([buf, chunk]);
  for (;;) {
    const headerEnd = buf.indexOf('\r\n\r\n');
    if (headerEnd < 0) return;
    const m = /Content-Length:\s*(\d+)/i.exec(buf.subarray(0, headerEnd).toString('ascii'));
    const len = m ? Number(m[1]) : 0;
    if (buf.length < headerEnd + 4 + len) return;
    const body = buf.subarray(headerEnd + 4, headerEnd + 4 + len).toString('utf8');
    buf = buf.subarray(headerEnd + 4 + len);
    const msg = JSON.parse(body);
    if (msg.id === undefined) continue;
    const out = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: msg.params ?? { processId: process.pid } }));
    process.stdout.write(`Content-Length: ${out.length}\r\n\r\n`);
    process.stdout.write(out);
  }
});
