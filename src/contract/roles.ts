export const ROLES = ['member', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** A person, or a service account (which has no personal workspace). */
export const USER_KINDS = ['user', 'service'] as const;
export type UserKind = (typeof USER_KINDS)[number];
