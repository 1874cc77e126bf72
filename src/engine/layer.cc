// engine layer
