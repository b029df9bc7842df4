export { createTestDatabase, type TestDatabase } from './database';
export { deleteEmulatorUser, emulatorUser, type EmulatorUser } from './emulator';
export { startTestApp, testEnv, type TestApp, type TestAppOptions } from './app';
export { databaseUrl, harnessValue } from './env';
export { apiClient, type ApiClient, type ApiResponse } from './client';
export { startTcpProxy, type TcpProxy } from './tcp-proxy';
export { startServerProcess, type ServerProcess } from './server-process';
export { lateBound, useApp, useTestApp, type AppFixture } from './fixtures';
export { startTestStorage, type TestStorage } from './storage';
