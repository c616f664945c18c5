/** Renderer entry: mounts the app. Styles are imported here so Vite bundles them. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { installDropGuard } from './drop-guard';
import './styles.css';

installDropGuard(window);

const root = document.getElementById('root');
if (root === null) throw new Error('index.html: no #root element to mount Inkwell into');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
