// Renders the whole app over a fake API, for component tests.
import { act, cleanup, render } from '@testing-library/react';
import { App } from '../../renderer/App.tsx';
import { createAppStore, type AppStore, type View } from '../../renderer/store/app-store.ts';
import type { FakeApi } from './fake-api.ts';

/** Lets pending promises, timers and animation frames run, inside act(). */
export async function settle(ms = 25): Promise<void> {
  await act(async () => {
    await new Promise((resolve) => setTimeout(resolve, ms));
  });
}

export async function renderApp(api: FakeApi, view?: View): Promise<{ store: AppStore; container: HTMLElement }> {
  const store = createAppStore(api);
  const { container } = render(<App store={store} />);
  await settle();
  if (view) {
    await act(async () => store.getState().navigate(view));
    await settle();
  }
  return { store, container };
}

export function teardown(): void {
  cleanup();
  document.body.innerHTML = '';
}
