// Explicit settlement and paused consumers on the in-process broker (settlement.suite.ts).
import { uniqueName } from '../support/host.ts';
import { settlementSuite } from './settlement.suite.ts';

settlementSuite('memory', () => `memory://${uniqueName('settle')}`);
