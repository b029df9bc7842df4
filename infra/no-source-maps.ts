/**
 * Imported first by infra/main.ts. tsx turns Node's source-map support on;
 * cdktf captures a full stack trace for every token it creates, and with
 * source maps on, Node parses the inline source map of every module those
 * traces touch: about 0.5 s of CPU and 50 MiB per synth. Synth errors keep
 * their messages and file names; line numbers refer to the transpiled code.
 */
process.setSourceMapsEnabled(false);
