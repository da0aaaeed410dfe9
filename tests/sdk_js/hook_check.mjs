// Renders a component using the generated useSmartSpec hook (react-test-renderer), calls
// generateImage and prints one JSON object: every render's {loading, error, status, progress},
// what generateImage resolved to, and (when there is one) the downloaded output.
//   node hook_check.mjs '{"module": "/tmp/x/useSmartSpec.ts", "baseUrl": "...", "apiKey": "...", "prompt": "..."}'
import { pathToFileURL } from "node:url";
import React from "react";
import TestRenderer, { act } from "react-test-renderer";

globalThis.IS_REACT_ACT_ENVIRONMENT = false; // the hook's updates arrive from real network calls, as in a browser
const config = JSON.parse(process.argv[2]);
const { useSmartSpec } = await import(pathToFileURL(config.module).href);

const renders = [];
let hook = null;
function Probe() {
  hook = useSmartSpec({ apiKey: config.apiKey, baseUrl: config.baseUrl, pollIntervalMs: 300, waitTimeoutMs: 120000 });
  renders.push({
    loading: hook.loading,
    error: hook.errorDetail ? hook.errorDetail.name : null,
    errorText: hook.error,
    status: hook.result ? hook.result.status : null,
    progress: hook.progress,
  });
  return null;
}

let renderer;
act(() => {
  renderer = TestRenderer.create(React.createElement(Probe));
});
const returned = await hook.generateImage(config.prompt, { aspect_ratio: "1:1" });
await new Promise((resolve) => setTimeout(resolve, 50)); // let the last state update render
const out = {
  renders,
  returned: returned ? { status: returned.status, outputUrl: returned.outputUrl } : null,
  final: { loading: hook.loading, error: hook.errorDetail ? { name: hook.errorDetail.name, status: hook.errorDetail.status, text: hook.error } : null, result: hook.result ? { status: hook.result.status, outputUrl: hook.result.outputUrl } : null },
};
if (out.final.result?.outputUrl) {
  const response = await fetch(out.final.result.outputUrl);
  out.download = { status: response.status, bytes: (await response.arrayBuffer()).byteLength };
}
act(() => renderer.unmount());
console.log(JSON.stringify(out));
