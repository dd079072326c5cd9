import { useEffect } from 'react';
import { HelpOverlay } from './components/HelpOverlay.tsx';
import { NoticeBar } from './components/NoticeBar.tsx';
import { JournalPanel, OutboxPanel } from './components/Panels.tsx';
import { Sidebar } from './components/Sidebar.tsx';
import { StatusBar } from './components/StatusBar.tsx';
import { isTypingTarget } from './lib/keys.ts';
import { Activity } from './screens/Activity.tsx';
import { Library } from './screens/Library.tsx';
import { ProgramBuilder } from './screens/builder/ProgramBuilder.tsx';
import { Programs } from './screens/Programs.tsx';
import { Progress } from './screens/Progress.tsx';
import { Roster } from './screens/Roster.tsx';
import { SettingsScreen } from './screens/SettingsScreen.tsx';
import { SignIn } from './screens/SignIn.tsx';
import type { AppStore } from './store/app-store.ts';
import { StoreProvider, useActions, useApp } from './store/context.tsx';

/** The whole UI for one store (the app's, or a test's). */
export function App({ store }: { store: AppStore }) {
  useEffect(() => {
    void store.getState().init();
    return () => store.getState().dispose();
  }, [store]);
  return (
    <StoreProvider store={store}>
      <Shell />
    </StoreProvider>
  );
}

function Shell() {
  const booted = useApp((s) => s.booted);
  const signedIn = useApp((s) => s.session?.signedIn ?? false);
  const panel = useApp((s) => s.panel);

  if (!booted) return <div className="app booting" />;
  return (
    <div className={`app${signedIn ? '' : ' signed-out'}`}>
      {signedIn ? (
        <>
          <Sidebar />
          <div className="content">
            <NoticeBar />
            <Screen />
          </div>
        </>
      ) : (
        <SignIn />
      )}
      {panel === 'outbox' && <OutboxPanel />}
      {panel === 'journal' && <JournalPanel />}
      <StatusBar />
      <HelpOverlay />
    </div>
  );
}

/**
 * Ctrl+Z / Ctrl+Shift+Z (or Ctrl+Y; ⌘ on a Mac) undo and redo the coach's edits, except in a
 * field being typed in, where they undo the typing as everywhere else.
 */
export function undoKey(e: KeyboardEvent): 'undo' | 'redo' | null {
  if (!(e.ctrlKey || e.metaKey) || e.altKey || e.defaultPrevented) return null;
  const key = e.key.toLowerCase();
  if (key !== 'z' && key !== 'y') return null;
  const target = e.target as HTMLElement | null;
  if (isTypingTarget(target) && target?.dataset.dirty === 'true') return null;
  return key === 'y' || e.shiftKey ? 'redo' : 'undo';
}

function Screen() {
  const view = useApp((s) => s.view);
  const { closePanel, undo, redo } = useActions();
  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      // Escape anywhere outside a dialog or a cell being edited closes an open panel.
      if (e.key === 'Escape' && !e.defaultPrevented) return closePanel();
      const which = undoKey(e);
      if (!which) return;
      e.preventDefault();
      // A cell with a change not yet saved saves it first (blur commits), then the step goes.
      (document.activeElement as HTMLElement | null)?.blur?.();
      void (which === 'undo' ? undo() : redo());
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [closePanel, undo, redo]);
  switch (view.name) {
    case 'clients':
      return <Roster />;
    case 'programs':
      return <Programs />;
    case 'program':
      return <ProgramBuilder key={view.id} />;
    case 'activity':
      return <Activity />;
    case 'progress':
      return <Progress />;
    case 'library':
      return <Library />;
    case 'settings':
      return <SettingsScreen />;
  }
}
