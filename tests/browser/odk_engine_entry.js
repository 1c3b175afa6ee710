// Bundled by `make node-deps` (esbuild) with ODK's @getodk/xforms-engine into build/odk/xforms-engine.js:
// the engine of ODK Web Forms and ODK Central, loaded into chromium by tests/browser/test_odk_client.py
// as an OpenRosa client of ours that we did not write.
import * as engine from "@getodk/xforms-engine";

window.ODKEngine = engine;
