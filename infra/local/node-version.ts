/**
 * Imported first by every local entry point (`npm start`, `npm test`, `npm run bench`, the token
 * and aggregate commands): chatlines runs on Node.js 24, like its Lambda runtime (nodejs24.x).
 * `npm ci` installs Node 24 from the npm registry (devDependency `node`), and npm scripts put
 * `node_modules/.bin` first on PATH, so `npm start` / `npm test` run it whatever Node started
 * npm. Run outside npm with an older Node, this says so in one line and exits.
 */
export const REQUIRED_NODE_MAJOR = 24;

const major = Number(process.versions.node.split('.')[0]);
if (major < REQUIRED_NODE_MAJOR) {
  console.error(
    `chatlines needs Node.js ${REQUIRED_NODE_MAJOR}+ (this is ${process.version}): run \`npm ci\` (it installs Node ${REQUIRED_NODE_MAJOR} from npm) and use the npm scripts (\`npm start\`, \`npm test\`), or install Node ${REQUIRED_NODE_MAJOR} (https://nodejs.org).`,
  );
  process.exit(1);
}
