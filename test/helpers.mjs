// Kept for files not yet moved over: the test rig is test/rig.mjs.
export * from './rig.mjs'
