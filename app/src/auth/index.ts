export type { AccessTokenVerifier, AuthenticatedUser, TokenVerifier } from './types';
export { createFirebaseVerifier, firebaseIssuer } from './firebase';
export { currentUser, requireAuth } from './middleware';
