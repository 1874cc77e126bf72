// tasks layer
