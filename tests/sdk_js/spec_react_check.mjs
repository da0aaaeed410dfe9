// Renders a compiled component (the specification's ImageGenerator, or one like it) with
// react-test-renderer, clicks its button as a user would and prints one JSON object: what each
// render showed (button text, disabled, <img> src, <p> text) and the finished state.
//   node --import ./resolve_extensionless.mjs spec_react_check.mjs '{"module": "/tmp/x/out/ImageGenerator.js", "component": "ImageGenerator"}'
import { pathToFileURL } from "node:url";
import React from "react";
import TestRenderer, { act } from "react-test-renderer";

globalThis.IS_REACT_ACT_ENVIRONMENT = false; // updates arrive from real network calls, as in a browser
const config = JSON.parse(process.argv[2]);
const Component = (await import(pathToFileURL(config.module).href))[config.component];

const text = (node) => node.children.map((child) => (typeof child === "string" ? child : text(child))).join("");
let renderer;
act(() => {
  renderer = TestRenderer.create(React.createElement(Component));
});
const seen = [];
function look() {
  const button = renderer.root.findByType("button");
  const images = renderer.root.findAllByType("img");
  const paragraphs = renderer.root.findAllByType("p");
  const view = {
    button: text(button),
    disabled: Boolean(button.props.disabled),
    img: images.length ? { src: images[0].props.src, alt: images[0].props.alt } : null,
    error: paragraphs.length ? text(paragraphs[0]) : null,
  };
  seen.push(view);
  return view;
}
const before = look();
await act(async () => {
  renderer.root.findByType("button").props.onClick(); // the click; the handler awaits the whole generation
  await new Promise((resolve) => setTimeout(resolve, 200));
});
const during = look();
const deadline = Date.now() + (config.timeoutMs ?? 120000);
let final = during;
while (Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  final = look();
  if (!final.disabled && (final.img || final.error)) break;
}
const out = { before, during, final, views: seen.length };
if (final.img?.src) {
  const response = await fetch(final.img.src);
  out.download = { status: response.status, bytes: (await response.arrayBuffer()).byteLength, type: response.headers.get("content-type") };
}
act(() => renderer.unmount());
console.log(JSON.stringify(out));
