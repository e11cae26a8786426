/**
 * The Invoke stub of `bench/invoke-paths.ts`, run as its child process: answers every request 200
 * with a small partial-batch response, and sends its port to the parent.
 */
import { createServer } from "node:http";

const RESPONSE = Buffer.from('{"batchItemFailures":[]}');

function runStub(): void {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, {
        "content-type": "application/json",
        "content-length": RESPONSE.byteLength,
        "x-amz-executed-version": "$LATEST",
        "x-amzn-requestid": "4b2d6a1e-0000-4000-8000-000000000000",
      });
      res.end(RESPONSE);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    process.send?.(typeof address === "object" && address ? address.port : 0);
  });
  process.on("disconnect", () => process.exit(0));
}

runStub();
