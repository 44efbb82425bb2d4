import pickle
import sklearn
model = pickle.load(open("model.pkl", "rb"))
