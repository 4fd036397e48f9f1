// A loopback proxy that adds an Authorization header to every request and
// forwards it to Portico's MCP endpoint unchanged otherwise (Host and
// Origin included), streaming the answer back: the MCP conformance suite
// cannot send headers of its own.
//
// Usage: node proxy.mjs <portico url> <bearer token>; prints its URL.
import http from "node:http";

const [target, token] = process.argv.slice(2);
const to = new URL(target);
const server = http.createServer((req, res) => {
  const up = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url,
    headers: { ...req.headers, authorization: `Bearer ${token}` } }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  up.on("error", (err) => {
    res.writeHead(502);
    res.end(String(err));
  });
  req.pipe(up);
});
server.listen(0, "127.0.0.1", () => console.log(`http://127.0.0.1:${server.address().port}`));
