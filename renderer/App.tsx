import { useEffect } from 'react';
import { HelpOverlay } from './components/HelpOverlay.tsx';
import { NoticeBar } from './components/NoticeBar.tsx';
import { JournalPanel, OutboxPanel } from './components/Panels.tsx';
import { Sidebar } from './components/Sidebar.tsx';
import { StatusBar } from './components/StatusBar.tsx';
import { Activity } from './screens/Activity.tsx';
import { ProgramBuilder } from './screens/builder/ProgramBuilder.tsx';
import { Programs } from './screens/Programs.tsx';
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

function Screen() {
  const view = useApp((s) => s.view);
  const { closePanel } = useActions();
  // Escape anywhere outside a dialog or a cell being edited closes an open panel.
  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !e.defaultPrevented) closePanel();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [closePanel]);
  switch (view.name) {
    case 'clients':
      return <Roster />;
    case 'programs':
      return <Programs />;
    case 'program':
      return <ProgramBuilder key={view.id} />;
    case 'activity':
      return <Activity />;
    case 'settings':
      return <SettingsScreen />;
  }
}
