// asl layer
