import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// `npm run build:app`: static files in dist/app that any host can serve (relative URLs, so a
// sub-path works too). The SDK comes from the package's browser entry, as in any dApp.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../dist/app", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    reportCompressedSize: true,
  },
  logLevel: "warn",
});
