import './zod-jitless.ts';
import { createRoot } from 'react-dom/client';
import { getApi } from './api.ts';
import { App } from './App.tsx';
import { createAppStore } from './store/app-store.ts';
import 'uplot/dist/uPlot.min.css';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(<App store={createAppStore(getApi(), { routing: true })} />);
