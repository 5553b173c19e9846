// A pause of 20 ms before a process loads the framework's modules (the kit's first test host,
// the bin once it registered tsx). Loader hooks finish setting up asynchronously: tsx compiles
// the WebAssembly build of the lexer it runs on every module it loads, and lexes with a
// JavaScript fallback (cold, ~3× slower) until then. Neither a test process nor the bin gives
// its event loop a turn before it loads ~900 modules, so without the pause tsx's set-up
// completes only after all of them loaded the slow way: ~0.25 s more on the kit's first test,
// ~0.1 s on a role's start (Node 22; bench/README.md "startup").
// Once per process: after the first pause the hooks are set up, and later callers go on at once.
let pause: Promise<void> | undefined;

export function loaderHooksSetUp(): Promise<void> {
  return (pause ??= new Promise((resolve) => setTimeout(resolve, 20)));
}
