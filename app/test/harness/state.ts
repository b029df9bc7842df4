/** What global setup hands to global teardown (same process, so a global works). */
export interface HarnessState {
  readonly tempDir: string;
  readonly templateDb: string;
  readonly adminUrl: string;
  readonly stops: ReadonlyArray<() => Promise<void>>;
}

const KEY = '__walkServiceHarness';

export function setHarnessState(state: HarnessState): void {
  (globalThis as Record<string, unknown>)[KEY] = state;
}

export function takeHarnessState(): HarnessState | undefined {
  const state = (globalThis as Record<string, unknown>)[KEY] as HarnessState | undefined;
  delete (globalThis as Record<string, unknown>)[KEY];
  return state;
}
