"""Privacy-enhancing techniques: differential privacy, homomorphic encryption, federated learning."""
