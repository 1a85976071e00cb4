export async function runFromEnv(): Promise<number> {
  return 1;
}
