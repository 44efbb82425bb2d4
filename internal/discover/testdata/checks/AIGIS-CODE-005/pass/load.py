import sklearn
import skops.io as sio
model = sio.load("model.skops")
