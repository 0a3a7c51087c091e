/**
 * Whether the running code is the build in dist/ (bin/build.mjs) or the TypeScript sources (tsx,
 * vitest). The build replaces the name DITS_BUILT with `true`; the sources never define it, and
 * `typeof` of an undeclared name is 'undefined' rather than an error.
 */
declare const DITS_BUILT: boolean | undefined;

export const BUILT = typeof DITS_BUILT !== 'undefined';
