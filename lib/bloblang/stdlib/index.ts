// Registers every built-in function and method (import for side effects).
import "./functions";
import "./general";
import "./structured";
import "./strings";
import "./numbers";
import "./time";
