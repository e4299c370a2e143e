// The stages of a session where checks run, in order. Its own file (no imports)
// so the registry, which config/ reads, pulls in nothing else.

/** 'auth' runs after each failed AUTH (R4). */
export type Stage = 'connect' | 'helo' | 'auth' | 'mail' | 'rcpt' | 'data' | 'eod';

/** Where a decision is taken: a check stage, or 'session' for limits over a whole session (H5). */
export type DecisionStage = Stage | 'session';
