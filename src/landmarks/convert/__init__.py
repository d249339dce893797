"""Converting models trained elsewhere (the authors' released TensorFlow checkpoints) into this
library's export."""
