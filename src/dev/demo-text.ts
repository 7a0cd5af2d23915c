export async function demoText(_o: { dir: string; from: string; body: string }): Promise<void> {
  throw new Error("not yet");
}
