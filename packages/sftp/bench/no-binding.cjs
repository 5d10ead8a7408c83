// Preload (`node --require`) that hides ssh2's optional native crypto binding, so ssh2 falls back
// to Node's own crypto: lets the benchmark compare both in one tree without rebuilding anything.
const Module = require('node:module');
const load = Module._load;
Module._load = function loadWithoutSshCrypto(request, ...rest) {
  if (String(request).includes('sshcrypto.node'))
    throw new Error('ssh2 native binding disabled for this run');
  return load.call(this, request, ...rest);
};
