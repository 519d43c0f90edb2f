// The GraphQL-over-HTTP audit suite of npm `graphql-http` (auditServer) against a server.
// Usage: node graphql_http_audit.mjs <graphql url>
// Prints one line per audit (result, id, name, and why when it failed), a summary per
// requirement level, then one JSON line with every result; exits 1 if any MUST fails.
import { auditServer } from "graphql-http";

const [url] = process.argv.slice(2);
const results = await auditServer({ url });
const levels = { MUST: { ok: 0, total: 0 }, SHOULD: { ok: 0, total: 0 }, MAY: { ok: 0, total: 0 } };
const rows = [];
for (const result of results) {
  const level = result.name.split(" ")[0];
  levels[level].total += 1;
  if (result.status === "ok") levels[level].ok += 1;
  const reason = result.status === "ok" ? "" : result.reason;
  rows.push({ id: result.id, name: result.name, status: result.status, reason });
  console.log(`${result.status.padEnd(6)} ${result.id} ${result.name}${reason ? `  <- ${reason}` : ""}`);
}
for (const [level, { ok, total }] of Object.entries(levels)) {
  console.log(`${level}: ${ok}/${total} passed`);
}
console.log(JSON.stringify({ levels, results: rows }));
process.exit(results.some((r) => r.status === "error") ? 1 : 0);
