// Panel 2's model, the one function to change for another architecture: it takes
// [N, 1, 28, 28] images and returns [N, 10] logits (a small CNN of nn.Conv2d and
// nn.MaxPool2d can replace the MLP here).
import { nn } from "../../../bindings/index.js";

export function makeDigitModel(): nn.Module {
  return new nn.Sequential(new nn.Flatten(), new nn.Linear(28 * 28, 128), new nn.ReLU(), new nn.Linear(128, 10));
}
