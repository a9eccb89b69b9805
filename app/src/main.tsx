import { render } from "preact";
import { App } from "./App";
import { loadConfig } from "./config";
import "./style.css";

const root = document.getElementById("app")!;

loadConfig().then(
  (config) => render(<App config={config} />, root),
  (error: unknown) =>
    render(
      <main>
        <h1>Keyway</h1>
        <p role="alert" class="error">
          {error instanceof Error ? error.message : String(error)}
        </p>
      </main>,
      root,
    ),
);
