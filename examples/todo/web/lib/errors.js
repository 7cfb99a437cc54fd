/**
 * The central error handler's vocabulary: every failure, from Better Auth's client or from the task API, has the
 * backend's `{message, code}` shape; the code picks a sentence a person understands, the message is the fallback.
 */
const MESSAGES = {
  INVALID_EMAIL_OR_PASSWORD: "That email and password do not match an account.",
  USER_ALREADY_EXISTS: "An account with this email already exists. Sign in instead.",
  USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL: "An account with this email already exists. Sign in instead.",
  EMAIL_NOT_VERIFIED: "Please verify your email first: we have sent you a new link.",
  PASSWORD_TOO_SHORT: "The password is too short.",
  PASSWORD_TOO_LONG: "The password is too long.",
  PASSWORD_TOO_WEAK: null, // the server's message lists what is missing
  INVALID_EMAIL: "That does not look like an email address.",
  UNAUTHORIZED: "Your session has ended. Please sign in again.",
  SESSION_EXPIRED: "Your session has ended. Please sign in again.",
  FORBIDDEN: "You are not allowed to do that.",
  TASK_NOT_FOUND: "That task no longer exists (deleted in another tab?).",
  VALIDATION_ERROR: "Please check the highlighted fields.",
  TOO_MANY_REQUESTS: "Too many attempts. Please wait a moment and try again.",
  NETWORK_ERROR: "The server cannot be reached. Check your connection and try again.",
};

export class ApiError extends Error {
  constructor({ message, code, status, errors }) {
    super(message || "Something went wrong");
    this.code = code || "UNKNOWN";
    this.status = status;
    this.errors = errors;
  }
}

/** `{message, code}` (or a Better Auth client `error`, or a thrown fetch failure) as an ApiError. */
export function toApiError(error) {
  if (error instanceof ApiError) return error;
  if (error instanceof TypeError) return new ApiError({ message: error.message, code: "NETWORK_ERROR", status: 0 });
  if (error && typeof error === "object") {
    return new ApiError({ message: error.message, code: error.code, status: error.status, errors: error.errors });
  }
  return new ApiError({ message: String(error), code: "UNKNOWN" });
}

/** The sentence shown to the user. */
export function readableMessage(error) {
  const e = toApiError(error);
  if (e.code === "VALIDATION_ERROR" && Array.isArray(e.errors) && e.errors.length) {
    return e.errors.map((item) => item.message || item.msg).filter(Boolean).join("; ") || MESSAGES.VALIDATION_ERROR;
  }
  if (e.status === 429) return MESSAGES.TOO_MANY_REQUESTS;
  return MESSAGES[e.code] || e.message || "Something went wrong. Please try again.";
}
