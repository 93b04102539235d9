// The TypeScript SDK, bundled from its sources (clients/typescript/src): the one place that
// names its path.
export * from "../../clients/typescript/src/index.ts";
