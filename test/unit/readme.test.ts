import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { extractReferenceSection } from "../../src/config/readme-section.js";
import { adapters, configReference } from "../../src/main.js";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("README", () => {
  it("holds the configuration reference generated from the schemas (npm run docs:config)", () => {
    expect(extractReferenceSection(readme)).toBe(configReference().trim());
  });

  it("documents every adapter and starts with the run and test commands", () => {
    for (const kind of Object.keys(adapters)) expect(readme).toContain(`gateways[].${kind}.`);
    const firstBlock = readme.slice(
      readme.indexOf("```sh"),
      readme.indexOf("```", readme.indexOf("```sh") + 5),
    );
    expect(firstBlock).toContain("npm run demo");
    expect(firstBlock).toContain("npm test");
  });
});
