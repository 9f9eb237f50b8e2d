// Panel 1's model: an MLP 2 → hidden → hidden → classes.
import { nn } from "../../../bindings/index.js";
import type { Activation } from "./settings.js";

export function makeClassifier(hidden: number, classes: number, activation: Activation): nn.Module {
  const act = () => (activation === "ReLU" ? new nn.ReLU() : new nn.Tanh());
  return new nn.Sequential(new nn.Linear(2, hidden), act(), new nn.Linear(hidden, hidden), act(), new nn.Linear(hidden, classes));
}
