/**
 * The size rule (DESIGN.md section 2): no source file over MAX_FILE_LINES lines and no function
 * over MAX_FUNCTION_LINES lines in src/ and adapters/ (adapters' own test folders excepted).
 * A function's lines run from its first to its last line, nested functions included: a closure
 * that holds the whole job is as long as the job.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

export const MAX_FILE_LINES = 300;
export const MAX_FUNCTION_LINES = 80;

export interface Oversize {
  readonly file: string;
  /** "file" for the file itself, else the function's name (or "<anonymous>") and its line. */
  readonly what: string;
  readonly lines: number;
}

function sourceFiles(root: string, dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules" && !/^adapters\/[^/]+\/test$/.test(rel)) sourceFiles(root, rel, out);
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(rel);
  }
  return out;
}

function functionName(node: ts.Node): string {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name)
    return node.name.getText();
  if (ts.isConstructorDeclaration(node)) return "constructor";
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText();
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText();
  return "<anonymous>";
}

/** Files and functions of `root`'s `dirs` over the limits. */
export function oversized(root: string, dirs: readonly string[]): Oversize[] {
  const out: Oversize[] = [];
  for (const file of dirs.flatMap((d) => sourceFiles(root, d))) {
    const text = fs.readFileSync(path.join(root, file), "utf8");
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const fileLines = source.getLineAndCharacterOfPosition(text.length).line + (text.endsWith("\n") ? 0 : 1);
    if (fileLines > MAX_FILE_LINES) out.push({ file, what: "file", lines: fileLines });
    const visit = (node: ts.Node) => {
      if (ts.isFunctionLike(node) && "body" in node && node.body !== undefined) {
        const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        if (end - start + 1 > MAX_FUNCTION_LINES) {
          out.push({ file, what: `${functionName(node)} (line ${start + 1})`, lines: end - start + 1 });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return out;
}
