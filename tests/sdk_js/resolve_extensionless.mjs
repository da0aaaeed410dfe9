// Lets node run code written for bundlers as it is: `import ... from './smartspec-client'` (no file
// extension) resolves to the file next to it, trying SPEC_EXTENSIONS in order (default .ts, then .js).
//   node --import ./resolve_extensionless.mjs example.ts
import { existsSync } from "node:fs";
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";

const extensions = (process.env.SPEC_EXTENSIONS ?? ".ts,.js").split(",");

registerHooks({
  resolve(specifier, context, nextResolve) {
    const relative = specifier.startsWith("./") || specifier.startsWith("../");
    if (relative && context.parentURL && !/\.[cm]?[jt]sx?$/.test(specifier)) {
      for (const extension of extensions) {
        if (existsSync(fileURLToPath(new URL(specifier + extension, context.parentURL)))) {
          return nextResolve(specifier + extension, context);
        }
      }
    }
    return nextResolve(specifier, context);
  },
});
