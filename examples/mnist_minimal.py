"""MNIST in one page: data, model, loop, accuracy (the full version is train_cnn.py).

    python examples/mnist_minimal.py ../shared/data/mnist [epochs] [train images]
"""

import sys

import numpy as np

import tinygrad_lite as tl
import tinygrad_lite.nn.functional as F
from tinygrad_lite import nn, optim
from tinygrad_lite.data import MNIST, DataLoader, TensorDataset

root = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/mnist"
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 1
n_train = int(sys.argv[3]) if len(sys.argv) > 3 else 60000
tl.manual_seed(0)

train, test = MNIST(root, train=True), MNIST(root, train=False)
x_train = tl.tensor(train.data[:n_train, None] / np.float32(255))  # (N, 1, 28, 28) in [0, 1]
y_train = tl.tensor(train.targets[:n_train])
x_test, y_test = tl.tensor(test.data[:, None] / np.float32(255)), tl.tensor(test.targets)

model = nn.Sequential(
    nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # (N, 8, 14, 14)
    nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 16, 7, 7)
    nn.Flatten(), nn.Linear(16 * 7 * 7, 10),                     # (N, 10) logits
)
opt = optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(epochs):
    model.train()
    for x, y in DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with tl.no_grad():
        correct = sum(int((model(x_test[i:i + 1000]).argmax(1) == y_test[i:i + 1000]).sum())
                      for i in range(0, len(y_test), 1000))
    print(f"epoch {epoch + 1}: last loss {loss.item():.3f}, "
          f"test accuracy {100 * correct / len(y_test):.2f}%")
