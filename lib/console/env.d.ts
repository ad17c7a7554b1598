/** Vite imports CSS files for their side effect (bundled into the page's stylesheet). */
declare module '*.css';
