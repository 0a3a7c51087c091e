/**
 * The house rules the layout promises (README, "Layout"): imports run one way,
 * scenarios <- engine <- serve-sim | actors <- workers | properties <- cli, no circles, and no
 * library code that reaches into the tests. ``npm run house` checks them and redraws docs/house.md;
 * test/house.test.ts fails on any violation.
 */
const LIBRARY = '^(scenarios|engine|serve-sim|actors|workers|properties|cli)/';
const SCOPE = '^(scenarios|engine|serve-sim|actors|workers|properties|cli|test)/';
const below = (layer, above) => ({
  name: `${layer}-below-${above.join('-')}`,
  comment: `${layer}/ sits below ${above.join(', ')}: it must not import them`,
  severity: 'error',
  from: { path: `^${layer}/` },
  to: { path: `^(${above.join('|')})/` },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'a circle makes modules that cannot be read or loaded alone', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'no-test-code-in-library',
      comment: 'library code must not depend on tests or their fixtures',
      severity: 'error',
      from: { path: LIBRARY, pathNot: '\\.test\\.ts$' },
      to: { path: '^test/' },
    },
    below('scenarios', ['engine', 'serve-sim', 'actors', 'workers', 'properties', 'cli']),
    below('engine', ['serve-sim', 'actors', 'workers', 'properties', 'cli']),
    below('serve-sim', ['actors', 'workers', 'properties', 'cli']),
    below('actors', ['serve-sim', 'workers', 'properties', 'cli']),
    below('workers', ['serve-sim', 'properties', 'cli']),
    below('properties', ['serve-sim', 'workers', 'cli']),
  ],
  options: {
    includeOnly: SCOPE,
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js'] },
  },
};
