/** The backend's password_complexity() rules (TODO_PASSWORD_RULES=1), checked as the user types. */
export const PASSWORD_RULES = [
  { id: "length", label: "At least 8 characters", test: (p) => p.length >= 8 },
  { id: "upper", label: "An uppercase letter", test: (p) => /\p{Lu}/u.test(p) },
  { id: "lower", label: "A lowercase letter", test: (p) => /\p{Ll}/u.test(p) },
  { id: "digit", label: "A digit", test: (p) => /\p{Nd}/u.test(p) },
];
