// Rewrites the README's configuration reference from the schemas: `npm run docs:config`.
import { readFileSync, writeFileSync } from "node:fs";
import { replaceReferenceSection } from "../src/config/readme-section.js";
import { configReference } from "../src/main.js";

const file = new URL("../README.md", import.meta.url);
writeFileSync(file, replaceReferenceSection(readFileSync(file, "utf8"), configReference()));
